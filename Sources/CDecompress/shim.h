// xz, zstd and bzip2: what logrotate's compresscmd makes of rotated logs besides gzip.
#include <stdio.h>
#include <lzma.h>
#include <zstd.h>
#include <bzlib.h>
