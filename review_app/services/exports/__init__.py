"""Exports: every file a review can be written to, in one registry (``registry.EXPORTS``) that the
command line and the web app's Exports page both read, and the files a lead brings in
(``registry.IMPORTS``: extraction, risk of bias, another tool's decisions).

One module per kind of export (``records``, ``duplicates``, ``decisions``, ``tables`` for the
included studies, the record statuses and the audit log, ``prisma``); each function checks the
actor itself and returns bytes. Importing this package loads only the registry.
"""

from review_app.services.exports.registry import (
    EXPORTS,
    IMPORTS,
    MEDIA_TYPES,
    Export,
    ExportFile,
    FileImport,
    Option,
    get_export,
)

__all__ = [
    "EXPORTS",
    "IMPORTS",
    "MEDIA_TYPES",
    "Export",
    "ExportFile",
    "FileImport",
    "Option",
    "get_export",
]
