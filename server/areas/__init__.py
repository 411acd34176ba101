"""Areas: teams' wijken and areas of attention (GeoJSON in WGS84, RD New for distances)."""
