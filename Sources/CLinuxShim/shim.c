// The shim is header-only; this file gives SwiftPM a C source to compile.
#include "CLinuxShim.h"
