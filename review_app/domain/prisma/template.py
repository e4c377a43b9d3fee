"""The PRISMA2020 R package's CSV template, verbatim (``inst/extdata/PRISMA.csv``).

Haddaway NR, Page MJ, Pritchard CC, McGuinness LA. PRISMA2020: An R package and Shiny app for
producing PRISMA 2020-compliant flow diagrams. Campbell Syst Rev 2022;18:e1230. Copied from
github.com/prisma-flowdiagram/PRISMA2020 at commit 696d35e688113ecb6b7f3ae57395de496252ed0a (the
version with the ``database_specific_results`` and ``register_specific_results`` rows). Kept as
published, quirks included: ``organisation_results`` has an empty ``node`` where the other rows
say NA, and the header rows say "Identification of new studies via ..." (the wording of the
template for updated reviews) where the new-review diagram says "Identification of studies via
...". Only the ``n`` column is ours to fill; the placeholders ("xxx") below are the package's.
"""

TEMPLATE_CSV = (
    "data,node,box,description,boxtext,tooltips,url,n\n"
    "NA,node4,prevstud,Grey title box; Previous studies,Previous studies,Grey title box; "
    "Previous studies,prevstud.html,0\n"
    "previous_studies,node5,box1,Studies included in previous version of review,Studies "
    "included in previous version of review,Studies included in previous version of "
    "review,previous_studies.html,0\n"
    "previous_reports,NA,box1,Reports of studies included in previous version of "
    "review,Reports of studies included in previous version of "
    "review,NA,previous_reports.html,0\n"
    "NA,node6,newstud,Yellow title box; Identification of new studies via databases and "
    "registers,Identification of new studies via databases and registers,Yellow title box; "
    "Identification of new studies via databases and registers,newstud.html,0\n"
    "database_results,node7,box2,Records identified from: Databases,Databases,Records "
    "identified from: Databases and Registers,database_results.html,0\n"
    "database_specific_results,NA,box2,Records identified from: specific databases,Specific "
    'Databases,NA,database_results.html,"Database 1, xxx; Database 2, xxx; Database 3, xxx"\n'
    "register_results,NA,box2,Records identified from: Registers,Registers,NA,NA,0\n"
    "register_specific_results,NA,box2,Records identified from: specific registers,Specific "
    'Registers,NA,database_results.html,"Register 1, xxx; Register 2, xxx; Register 3, xxx"\n'
    "NA,node16,othstud,Grey title box; Identification of new studies via other "
    "methods,Identification of new studies via other methods,Grey title box; Identification "
    "of new studies via other methods,othstud.html,0\n"
    'website_results,node17,box11,Records identified from: Websites,Websites,"Records '
    'identified from: Websites, Organisations and Citation Searching",website_results.html,0\n'
    "organisation_results,,box11,Records identified from: "
    "Organisations,Organisations,NA,NA,0\n"
    "citations_results,NA,box11,Records identified from: Citation searching,Citation "
    "searching,NA,NA,0\n"
    "duplicates,node8,box3,Duplicate records,Duplicate records,Duplicate "
    "records,duplicates.html,0\n"
    "excluded_automatic,NA,box3,Records marked as ineligible by automation tools,Records "
    "marked as ineligible by automation tools,NA,NA,0\n"
    "excluded_other,NA,box3,Records removed for other reasons,Records removed for other "
    "reasons,NA,NA,0\n"
    "records_screened,node9,box4,Records screened (databases and registers),Records "
    "screened,Records screened (databases and registers),records_screened.html,0\n"
    "records_excluded,node10,box5,Records excluded (databases and registers),Records "
    "excluded,Records excluded (databases and registers),records_excluded.html,0\n"
    "dbr_sought_reports,node11,box6,Reports sought for retrieval (databases and "
    "registers),Reports sought for retrieval,Reports sought for retrieval (databases and "
    "registers),dbr_sought_reports.html,0\n"
    "dbr_notretrieved_reports,node12,box7,Reports not retrieved (databases and "
    "registers),Reports not retrieved,Reports not retrieved (databases and "
    "registers),dbr_notretrieved_reports.html,0\n"
    "other_sought_reports,node18,box12,Reports sought for retrieval (other),Reports sought "
    "for retrieval,Reports sought for retrieval (other),other_sought_reports.html,0\n"
    "other_notretrieved_reports,node19,box13,Reports not retrieved (other),Reports not "
    "retrieved,Reports not retrieved (other),other_notretrieved_reports.html,0\n"
    "dbr_assessed,node13,box8,Reports assessed for eligibility (databases and "
    "registers),Reports assessed for eligibility,Reports assessed for eligibility (databases "
    "and registers),dbr_assessed.html,0\n"
    'dbr_excluded,node14,box9,"Reports excluded (databases and registers): [separate reasons '
    'and numbers using ; e.g. Reason1, xxx; Reason2, xxx; Reason3, xxx]",Reports '
    'excluded,Reports excluded (databases and registers),dbrexcludedrecords.html,"Reason1, '
    'xxx; Reason2, xxx; Reason3, xxx"\n'
    "other_assessed,node20,box14,Reports assessed for eligibility (other),Reports assessed "
    "for eligibility,Reports assessed for eligibility (other),other_assessed.html,0\n"
    'other_excluded,node21,box15,"Reports excluded (other): [separate reasons and numbers '
    'using ; e.g. Reason1, xxx; Reason2, xxx; Reason3, xxx]",Reports excluded,Reports '
    'excluded (other),other_excluded.html,"Reason1, xxx; Reason2, xxx; Reason3, xxx"\n'
    "new_studies,node15,box10,New studies included in review,New studies included in "
    "review,New studies included in review,new_studies.html,0\n"
    "new_reports,NA,box10,Reports of new included studies,Reports of new included "
    "studies,NA,NA,0\n"
    "total_studies,node22,box16,Total studies included in review,Total studies included in "
    "review,Total studies included in review,total_studies.html,0\n"
    "total_reports,NA,box16,Reports of total included studies,Reports of total included "
    "studies,NA,NA,0\n"
    "identification,node1,identification,Blue identification box,Identification,Blue "
    "identification box,identification.html,0\n"
    "screening,node2,screening,Blue screening box,Screening,Blue screening "
    "box,screening.html,0\n"
    "included,node3,included,Blue included box,Included,Blue included box,included.html,0\n"
)
