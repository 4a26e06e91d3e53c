"""Preloaded by a worker in a test: crashes its process natively on import, as a broken TensorFlow build would."""

import ctypes
import sys

sys.stderr.write("crashes_on_import: loading a library that is about to crash\n")
sys.stderr.flush()
ctypes.string_at(0)  # reads address 0: a segmentation fault
