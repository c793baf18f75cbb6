"""Every bound on a fetch, in one place (docs/design.md, "Fetch limits", explains them).

A hostile or broken server must not be able to exhaust the initramfs's memory, fill the
target disk or hold a boot forever: what is kept in memory is capped, what is streamed
to disk stops before the filesystem is full, and every fetch has a deadline."""
from __future__ import annotations

# Configs (user, merge and replace children), CAs, LUKS key files and provider user data
# are held in memory whole. Past this many bytes, compressed or after inflating, the fetch
# fails: a gzip bomb is refused as it inflates, never buffered.
MAX_BUFFERED_BYTES = 128 << 20

# A file's contents are streamed to the target filesystem; the download stops when fewer
# than this many bytes would be left free there (and before ENOSPC hurts everything else),
# or this fraction of the filesystem if that is less (a small partition still takes files).
FREE_SPACE_RESERVE = 32 << 20
FREE_SPACE_RESERVE_FRACTION = 0.05

# The free space is checked only once a fetch has passed this many bytes: so little cannot
# matter against the reserve (32 MiB, or 5 % of a small filesystem: 800 KiB of 16 MiB), and
# the typical file (a few bytes of a data: URL) then costs no fstatvfs. A filesystem that
# is really full still fails the write with ENOSPC, which the stage reports naming the file.
FREE_SPACE_UNCHECKED_BYTES = 64 << 10

# httpTotal for files' contents when the config sets none (upstream waits forever): the
# deadline of each file's fetch, retries included. A config's own httpTotal wins.
FILE_FETCH_TIMEOUT = 1800.0

# A server's Retry-After is honoured up to the deadline left; without a deadline, up to this.
RETRY_AFTER_MAX = 300.0
