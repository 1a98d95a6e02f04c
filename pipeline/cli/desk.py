"""The commands on one desk (inbox, outbox, job database): ``watch``, ``batch``, ``status``,
``report``, ``approve``, ``return``."""
from __future__ import annotations

import datetime as dt

from ..errors import DictationError
from .cluster import cluster_options, cluster_service
from .common import desk_options, desk_settings


def cmd_watch(args) -> int:
    with cluster_service(desk_settings(args), args) as service:
        try:
            service.watch(polling=args.polling)
        except KeyboardInterrupt:
            service.stop()
    return 0


def cmd_batch(args) -> int:
    settings = desk_settings(args)
    with cluster_service(settings, args) as service:
        try:
            summary = service.batch(progress=not args.quiet)
        except KeyboardInterrupt:
            service.stop()
            return 130
    print(f"{summary.drafted} drafted, {summary.failed} failed (see {settings.outbox / 'failed'}), "
          f"{summary.waiting} waiting for a retry")
    return 1 if summary.failed or summary.waiting else 0


def cmd_status(args) -> int:
    from ..desk.status import queue_text

    print(queue_text(desk_settings(args)))
    return 0


def _day(args) -> str:
    day = args.day or dt.date.today().isoformat()
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        raise DictationError(f"{day!r} is not a date", "give --day as YYYY-MM-DD")
    return day


def cmd_report(args) -> int:
    from ..desk import report

    docx_path, csv_path = report.write_day(desk_settings(args), _day(args))
    print(docx_path)
    print(csv_path)
    return 0


def cmd_billing(args) -> int:
    from ..desk import billing

    print(billing.write_day(desk_settings(args), _day(args)))
    return 0


def cmd_approve(args) -> int:
    from ..desk import approval

    final = approval.approve_job(desk_settings(args), args.job, actor=args.reviewer)
    print(final)
    print(final.with_suffix(".fhir.json"))
    return 0


def cmd_return(args) -> int:
    from ..desk import approval

    print(approval.return_job(desk_settings(args), args.job, args.reason, actor=args.reviewer))
    return 0


def register(sub) -> None:
    p = sub.add_parser("watch", help="turn dictations dropped in the inbox into draft letters, until stopped")
    desk_options(p)
    p.add_argument("--polling", action="store_true", help="poll the folder (network shares that send no events)")
    cluster_options(p)
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("batch", help="process everything waiting, then exit (status 1 if anything failed)")
    desk_options(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    cluster_options(p)
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("status", help="show the queue")
    desk_options(p, engine=False)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("report", help="write the day's report (.docx and .csv) into outbox/reports/")
    desk_options(p, engine=False)
    p.add_argument("--day", help="YYYY-MM-DD (default: today)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("billing", help="write the day's billing sheet: ICD-10-CM codes of the approved letters' "
                                       "confirmed conditions (.csv in outbox/reports/)")
    desk_options(p, engine=False)
    p.add_argument("--day", help="the day the letters were approved, YYYY-MM-DD (default: today)")
    p.set_defaults(func=cmd_billing)

    p = sub.add_parser("approve", help="approve a draft (as edited in Word): final letter and FHIR record")
    p.add_argument("job", metavar="JOB", help="the job id (dictation status lists them)")
    p.add_argument("--as", dest="reviewer", help="who approves (default: your login name)")
    desk_options(p, engine=False)
    p.set_defaults(func=cmd_approve)

    p = sub.add_parser("return", help="send a draft back to its author with a reason")
    p.add_argument("job", metavar="JOB", help="the job id (dictation status lists them)")
    p.add_argument("--reason", required=True, help="what the author should fix")
    p.add_argument("--as", dest="reviewer", help="who returns it (default: your login name)")
    desk_options(p, engine=False)
    p.set_defaults(func=cmd_return)
