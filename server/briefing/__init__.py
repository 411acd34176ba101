"""Briefings: what matters where an officer stands (notices, areas, hotspots, registrations)."""
