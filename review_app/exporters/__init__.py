"""Writers that turn RecordIn lists into files (records in, text or bytes out).

Pure functions like the importers: no database, no Streamlit. Each writer puts out our
normalised fields only, in a form our importers read back to the same record.
"""

from review_app.exporters.bibtex import dumps_bibtex
from review_app.exporters.ris import dumps_ris
from review_app.exporters.tabular import dumps_csv, dumps_xlsx

__all__ = ["dumps_bibtex", "dumps_csv", "dumps_ris", "dumps_xlsx"]
