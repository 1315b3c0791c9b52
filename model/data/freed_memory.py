"""Giving the memory of freed temporaries back to the system.

Reading a large table frees many numpy temporaries; glibc's allocator keeps their heap pages
for reuse, so a training process would keep tens of MiB it no longer uses (and so would every
DataLoader worker forked from it). ``malloc_trim`` returns them; elsewhere this does nothing.
"""

import ctypes
import ctypes.util


def return_freed_memory() -> None:
    """Return the allocator's free heap pages to the system (glibc), else nothing."""
    library = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(library), "malloc_trim", None) if library else None
    if trim is not None:
        trim(0)
