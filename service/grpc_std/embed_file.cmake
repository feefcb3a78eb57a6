# Writes the bytes of INPUT as a C array named SYMBOL (and SYMBOL_len)
# into OUTPUT. Run with cmake -P; needs nothing but CMake (no xxd).
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR byte_count "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
# Break the single line every 16 bytes to keep the file readable.
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n  " bytes "${bytes}")
file(WRITE "${OUTPUT}"
  "/* Generated from ${INPUT} by embed_file.cmake. Do not edit. */\n"
  "#include <stddef.h>\n#include <stdint.h>\n"
  "const uint8_t ${SYMBOL}[] = {\n  ${bytes}0x00};\n"
  "const size_t ${SYMBOL}_len = ${byte_count};\n")
