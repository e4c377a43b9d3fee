"""The full text of the record on screen: view the PDF, attach one, give a link, or mark it
"not retrieved" (PRISMA counts those)."""

from __future__ import annotations

import streamlit as st

from review_app.config import Settings
from review_app.errors import ReviewAppError
from review_app.services.fulltext import (
    attach_pdf,
    get_fulltext,
    mark_not_retrieved,
    read_pdf,
    set_link,
)
from review_app.ui import deps, state
from review_app.ui.components.links import link_text, web_link


def show(review_id: int, record_id: int, user: state.CurrentUser) -> None:
    settings = deps.settings()
    with deps.unit_of_work() as session:
        fulltext = get_fulltext(session, actor=user.actor, review_id=review_id, record_id=record_id)
        pdf = (
            read_pdf(
                session,
                actor=user.actor,
                review_id=review_id,
                record_id=record_id,
                files_dir=settings.files_dir,
            )
            if fulltext and fulltext.has_pdf
            else None
        )
    with st.container(border=True):
        st.markdown("**Full text**")
        if pdf is not None and fulltext is not None:
            st.download_button(
                f"Open {fulltext.file_name}",
                pdf,
                file_name=fulltext.file_name,
                mime="application/pdf",
                key=f"pdf_{record_id}",
                on_click="ignore",  # opening the PDF changes nothing on the page
            )
        if fulltext and fulltext.url:
            link = web_link("Full text link", fulltext.url)  # http(s) only, quoted
            if link is not None:
                st.markdown(link)
            else:
                st.caption(
                    "Full text address (not an http or https link): " + link_text(fulltext.url)
                )
        if fulltext is None or not (fulltext.has_pdf or fulltext.url):
            st.caption("No full text yet: attach the PDF, give a link, or mark it not retrieved.")
        _attach(review_id, record_id, user, settings)


def _attach(review_id: int, record_id: int, user: state.CurrentUser, settings: Settings) -> None:
    with st.expander("Attach a PDF, a link, or mark not retrieved"):
        upload = st.file_uploader(
            f"PDF (up to {settings.max_upload_mb} MB)", type=["pdf"], key=f"ft_upload_{record_id}"
        )
        url = st.text_input("Link (http or https)", key=f"ft_url_{record_id}")
        note = st.text_input("Why it could not be retrieved", key=f"ft_note_{record_id}")
        cols = st.columns(3)
        save_pdf = cols[0].button("Save PDF", key=f"ft_save_{record_id}", disabled=upload is None)
        save_link = cols[1].button("Save link", key=f"ft_link_{record_id}", disabled=not url)
        missing = cols[2].button("Not retrieved", key=f"ft_missing_{record_id}", disabled=not note)
        try:
            with deps.unit_of_work() as session:
                if save_pdf and upload is not None:
                    attach_pdf(
                        session,
                        actor=user.actor,
                        review_id=review_id,
                        record_id=record_id,
                        data=upload.getvalue(),
                        file_name=upload.name,
                        files_dir=settings.files_dir,
                        max_bytes=settings.max_upload_mb * 1024 * 1024,
                    )
                elif save_link:
                    set_link(
                        session, actor=user.actor, review_id=review_id, record_id=record_id, url=url
                    )
                elif missing:
                    mark_not_retrieved(
                        session,
                        actor=user.actor,
                        review_id=review_id,
                        record_id=record_id,
                        note=note,
                    )
                else:
                    return
        except ReviewAppError as error:
            st.error(str(error))
            return
        st.rerun()
