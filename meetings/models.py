"""Face-to-face and coordination meetings (models arrive with the meetings issue)."""
