/*
 * hex.h - bytes as lowercase hex text and back (keys, MACs, anchors).
 */
#ifndef TALLY_HEX_H
#define TALLY_HEX_H

#include <stddef.h>

/* The value of one hex digit (either case), -1 for anything else. */
int hex_value(int c);
/* Exactly 2 * outlen digits of in[0..len) into out; 0, or TALLY_EDATA
 * for a wrong length or a non-hex digit. */
int hex_decode(const char *in, size_t len, unsigned char *out, size_t outlen);
/* 2 * len lowercase digits and a NUL into out. */
void hex_encode(const unsigned char *in, size_t len, char *out);

#endif
