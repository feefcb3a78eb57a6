/*
 * main() of the rectrack command-line client; everything else lives in
 * rt_cli (see rt_cli.h) so that the unit tests can link it.
 */
#include "rt_cli.h"

int main(int argc, char **argv) { return rt_cli_main(argc, argv); }
