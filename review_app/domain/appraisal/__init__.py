"""Risk-of-bias appraisal, pure: tools as data (:mod:`.tool`), RoB 2 (:mod:`.rob2`), and the
judgements their published algorithms propose from signalling answers."""
