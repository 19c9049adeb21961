/* placeholder: replaced by the CLI module */
#include "commands.h"
int main(int argc, char **argv) { (void)argc; (void)argv; return 1; }
