"""Photos: content-addressed by SHA-256, stored on disk in the instance folder."""
