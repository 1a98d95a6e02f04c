"""Learning: the practice's own words, from its past letters and from its secretaries' corrections.

``letters`` reads past letters (.docx, .txt) and says who wrote each; ``store`` keeps what is
learned in ``practice.sqlite3`` beside the job database (vocabulary and trigram counts, per
practice and per author; substitutions the secretaries made; each approval's correction
rate); ``approvals`` compares an approved letter with the machine's draft. The language
stage receives the result as one record (``language.practice.Practice``) and only ever
proposes with it: the audio decides.
"""
