/* placeholder */
#include "commands.h"
int ckp_cmd_replay(int argc, char **argv) { (void)argc; (void)argv; return 1; }
