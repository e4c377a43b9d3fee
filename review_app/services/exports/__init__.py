"""Exports: every file a review can be written to, in one registry (``registry.EXPORTS``) that the
command line and the web app's Exports page both read.

One module per kind of export (``records``, ``duplicates``, ``decisions``, ``tables`` for the
included studies, the record statuses and the audit log, ``prisma``); each function checks the
actor itself and returns bytes. Importing this package loads only the registry.
"""

from review_app.services.exports.registry import (
    EXPORTS,
    MEDIA_TYPES,
    Export,
    ExportFile,
    Option,
    get_export,
)

__all__ = ["EXPORTS", "MEDIA_TYPES", "Export", "ExportFile", "Option", "get_export"]
