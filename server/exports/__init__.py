"""Exports of registrations: readable CSV and JSON for team leaders, BRON for statistics."""
