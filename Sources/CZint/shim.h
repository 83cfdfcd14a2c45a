#pragma once
/* Debian's libzint-dev 2.11 ships no pkg-config file: the module links "zint" by name. */
#include <zint.h>
