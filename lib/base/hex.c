#include "base/err.h"
#include "base/hex.h"

int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(const char *in, size_t len, unsigned char *out, size_t outlen)
{
	int hi, lo;

	if (len != 2 * outlen)
		return TALLY_EDATA;
	for (size_t i = 0; i < outlen; i++) {
		hi = hex_value((unsigned char)in[2 * i]);
		lo = hex_value((unsigned char)in[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return TALLY_EDATA;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

void
hex_encode(const unsigned char *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}
