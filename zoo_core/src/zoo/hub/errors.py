"""One-line errors for everything that can fail between the zoo and the Hub.

huggingface_hub raises its own exceptions, its HTTP client's and the OS's; each becomes a
ZooError that says what went wrong and what to do. Unknown exceptions are bugs and propagate.
"""

from __future__ import annotations

import errno

from zoo.errors import ZooError
from zoo.hub.transfer import TIMEOUT_VARIABLE, endpoint, hf_constants, hub_cache, hub_timeout

_DISK_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_TRANSPORT_MODULES = {"httpx", "httpx2", "httpcore", "requests", "urllib3"}


def is_transport_error(exc: BaseException) -> bool:
    """A network failure from whichever HTTP client this huggingface_hub version uses."""
    return type(exc).__module__.split(".")[0] in _TRANSPORT_MODULES or isinstance(exc, (ConnectionError, TimeoutError))


def unreachable(exc: BaseException) -> bool:
    """The server could not be contacted at all (as opposed to answering badly)."""
    name = type(exc).__name__
    return "Connect" in name or "Timeout" in name or isinstance(exc, (ConnectionRefusedError, TimeoutError))


def hub_error(exc: BaseException, repo_id: str, revision: str | None, filename: str | None = None) -> ZooError | None:
    """One line saying what went wrong and what to do, or None for errors that are bugs."""
    from huggingface_hub import errors as hf

    at = f"{repo_id}@{revision or 'main'}"
    what = f"{filename} of {at}" if filename else at
    server = endpoint()
    if isinstance(exc, hf.OfflineModeIsEnabled) or (
        isinstance(exc, hf.LocalEntryNotFoundError) and hf_constants().HF_HUB_OFFLINE
    ):
        return ZooError(
            f"{what} is not in the local Hub cache and HF_HUB_OFFLINE=1 forbids downloading: unset it to pull"
        )
    if isinstance(exc, hf.GatedRepoError):
        return ZooError(f"{repo_id} is gated on {server}: accept its terms on the Hub and set HF_TOKEN")
    if isinstance(exc, hf.RepositoryNotFoundError):
        return ZooError(f"Hub repository {repo_id} was not found at {server} (if it is private, set HF_TOKEN)")
    if isinstance(exc, hf.RevisionNotFoundError):
        return ZooError(f"revision {revision!r} was not found in {repo_id}: use an existing branch, tag or commit")
    if isinstance(exc, hf.EntryNotFoundError) and not isinstance(exc, hf.LocalEntryNotFoundError):
        return ZooError(f"{at} has no file {filename}: check the card's filename or the revision")
    if is_transport_error(exc) and "Timeout" in type(exc).__name__ and "Connect" not in type(exc).__name__:
        return ZooError(
            f"the Hub at {server} stopped answering for {hub_timeout():g} s while sending {what}: check the "
            f"connection or HF_ENDPOINT, then pull again (a slow link: raise {TIMEOUT_VARIABLE})"
        )
    if isinstance(exc, hf.LocalEntryNotFoundError) or (is_transport_error(exc) and unreachable(exc)):
        return ZooError(f"cannot reach the Hub at {server} to get {what}: check the connection or HF_ENDPOINT")
    if isinstance(exc, OSError) and exc.errno in _DISK_FULL:
        return ZooError(
            f"not enough disk space to store {what} in {hub_cache()} ({exc.strerror}): "
            f"free some, or set HF_HOME to a larger disk"
        )
    if isinstance(exc, hf.HfHubHTTPError):
        status = getattr(getattr(exc, "response", None), "status_code", "?")
        return ZooError(f"the Hub at {server} answered HTTP {status} for {what}: try again later")
    if is_transport_error(exc):
        return ZooError(f"the connection to {server} failed while getting {what} ({type(exc).__name__}): try again")
    if isinstance(exc, OSError) and exc.errno is None:
        # huggingface_hub's own checks (e.g. "Consistency check failed"): the server sent something other than
        # the file, such as an HTML error page from a proxy. Not a disk problem.
        first = " ".join(str(exc).split("\n")[0].split())[:120]
        return ZooError(
            f"the server at {server} did not send {what} intact ({first}): pull again; "
            f"if it repeats, HF_ENDPOINT does not point at a working Hub"
        )
    if isinstance(exc, OSError):
        return ZooError(
            f"cannot store {what} in {hub_cache()} ({exc.strerror or exc}): set HF_HOME to a writable place"
        )
    return None


def unknown_revision(exc: BaseException, repo_id: str, revision: str) -> ZooError | None:
    """Name a missing revision even on servers that answer it with a 401, a 5xx or a dropped connection."""
    from huggingface_hub import HfApi
    from huggingface_hub import errors as hf

    if not (isinstance(exc, hf.HfHubHTTPError) or (is_transport_error(exc) and not unreachable(exc))):
        return None
    refs = None
    for _ in range(2):  # a server that just failed may drop the pooled connection once
        try:
            refs = HfApi().list_repo_refs(repo_id)
            break
        except Exception as retry_exc:  # noqa: BLE001 - only a diagnosis; the original error is reported otherwise
            if not is_transport_error(retry_exc):
                return None
    if refs is None:
        return None
    names = [ref.name for ref in (*refs.branches, *refs.tags)]
    if revision in names:
        return None
    return ZooError(
        f"revision {revision!r} was not found in {repo_id} (branches and tags: {', '.join(names) or 'none'})"
    )
