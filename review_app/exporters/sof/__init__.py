"""The Summary-of-Findings table and the evidence profile written to files: ``layout`` (the
grid of cells both documents draw), ``word`` (DOCX), ``webpage`` (standalone HTML), ``flat``
(CSV). The JSON is ``domain/grade/sof.py``'s ``sof_json``. Each takes a ``SofTable`` and returns
bytes; the words of the cells come from ``domain/grade/text.py``."""
