"""Teams and their substitute reviewers (beheerder)."""
