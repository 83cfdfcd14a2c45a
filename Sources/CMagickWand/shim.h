#pragma once
/* ImageMagick's MagickWand (6.x in Debian 12): what zbarimg reads images with, so every format it reads
   (BMP, GIF, TIFF, WebP, 16-bit PNG, …) reaches the scanner the same way. */
/* The C library first, so its types come from the system's own modules and not from inside this one. */
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include <sys/types.h>
#include <sys/select.h>
#include <sys/time.h>
#include <wand/MagickWand.h>
