"""GRADE: certainty of evidence per outcome, suggested from the review's data and confirmed by
people, and the Summary-of-Findings table and evidence profile (``model.py`` holds the data)."""
