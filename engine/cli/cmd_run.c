/* placeholder */
#include "commands.h"
int ckp_cmd_run(int argc, char **argv) { (void)argc; (void)argv; return 1; }
