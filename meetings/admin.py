"""Admin for meetings."""
