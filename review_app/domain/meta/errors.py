"""The one error the meta-analysis engine raises: bad input or a model that cannot be fitted,
with a sentence naming the study, the field and what is allowed."""

from __future__ import annotations

from review_app.errors import ReviewAppError


class MetaError(ReviewAppError, ValueError):
    """Data or settings the engine cannot pool; the message says which study and field, and what
    is allowed (the CLI prints it on one line, the web app with ``st.error``)."""
