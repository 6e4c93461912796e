"""The monthly bulletin (月度通报): figures of a month, hotspots and laggards, as a snapshot."""
