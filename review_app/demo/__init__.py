"""Demo review data: kratom for neuropathic pain (see README.md in this folder)."""
