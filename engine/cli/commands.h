/* chokepoint: the subcommands of the command-line tool (internal header).
 * Each takes the arguments after the subcommand name (argv[0] is the
 * subcommand) and returns the process exit status: 0 success, 2 bad input
 * (usage or scenario), 1 any other failure. */
#ifndef CKP_CLI_COMMANDS_H
#define CKP_CLI_COMMANDS_H

int ckp_cmd_validate(int argc, char **argv);
int ckp_cmd_run(int argc, char **argv);
int ckp_cmd_summary(int argc, char **argv);
int ckp_cmd_replay(int argc, char **argv);
int ckp_cmd_export(int argc, char **argv);
int ckp_cmd_sensitivity(int argc, char **argv);
int ckp_cmd_report(int argc, char **argv);
int ckp_cmd_merge(int argc, char **argv);
int ckp_cmd_bench(int argc, char **argv);

/* Under an address-space limit, restart with one OpenBLAS thread (blas_env.c);
 * returns only when no restart was needed or possible. */
void ckp_cli_blas_env(char **argv);

#endif
