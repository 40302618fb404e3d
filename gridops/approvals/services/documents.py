"""An applicant's documents: checked by decoding (`gridops.core.uploads`) and kept once."""
from __future__ import annotations

from collections.abc import Iterable

from django.core.files.base import ContentFile

from gridops.core import uploads as checks
from gridops.core.errors import InvalidInput

from .. import conf
from ..models import Applicant, ApplicantDocument, Case, CaseDocument, DocumentType, Item


def document_store(*, applicant: Applicant, document_type: DocumentType, upload, field: str = "file") -> ApplicantDocument:
    """Check an upload by decoding it (`core.uploads`: images re-encoded, PDFs checked), and keep
    it once: the same file handed in again for the same type returns the stored document."""
    checked = checks.check_upload(upload, limit=conf.max_upload_bytes(), allowed=conf.allowed_content_types(),
                                   field=field)
    sha = checked.sha256
    existing = ApplicantDocument.objects.filter(applicant=applicant, document_type=document_type, sha256=sha).first()
    if existing is not None:
        return existing
    doc = ApplicantDocument(applicant=applicant, document_type=document_type, content_type=checked.content_type,
                            size=checked.size, sha256=sha, original_name=(getattr(upload, "name", "") or "")[-128:])
    doc.file.save("x", ContentFile(checked.data), save=False)
    doc.save()
    return doc


def collect_documents(*, applicant: Applicant, item: Item, uploads: dict, reuse: Iterable[int],
                       require_complete: bool = True) -> list[tuple[ApplicantDocument, bool]]:
    """The documents of a new case: uploads plus reused earlier ones; 400 naming what is missing."""
    needs = {need.document_type.code: need for need in item.item_documents.select_related("document_type")}
    chosen: dict[str, tuple[ApplicantDocument, bool]] = {}
    reuse_ids = [int(pk) for pk in reuse]
    if reuse_ids:
        docs = ApplicantDocument.objects.filter(pk__in=reuse_ids).select_related("document_type")
        found = {doc.pk: doc for doc in docs}
        for pk in reuse_ids:
            doc = found.get(pk)
            if doc is None or doc.applicant_id != applicant.pk:
                raise InvalidInput(f"document {pk} is not one of the applicant's", field="reuse")
            chosen[doc.document_type.code] = (doc, True)
    for code, upload in uploads.items():
        need = needs.get(code)
        if need is None:
            raise InvalidInput(f"{item.name} does not ask for document {code}", field=f"documents.{code}")
        doc = document_store(applicant=applicant, document_type=need.document_type, upload=upload,
                             field=f"documents.{code}")
        chosen[code] = (doc, False)
    if require_complete:
        missing = sorted(code for code, need in needs.items() if need.required and code not in chosen)
        if missing:
            raise InvalidInput(f"missing documents: {', '.join(missing)}", field=f"documents.{missing[0]}",
                               extra={"missing": missing})
    return list(chosen.values())


def attach(case: Case, documents: list[tuple[ApplicantDocument, bool]]) -> None:
    """Link the documents to the case (a document already linked stays once)."""
    CaseDocument.objects.bulk_create(
        [CaseDocument(case=case, document=doc, reused=reused) for doc, reused in documents], ignore_conflicts=True
    )
