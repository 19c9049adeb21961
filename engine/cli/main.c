/* chokepoint: the command-line tool's entry point.
 *
 * `chokepoint <command> [options]` dispatches to one subcommand (commands.h);
 * each subcommand parses its own options and returns the exit status:
 * 0 success, 2 bad input (usage or scenario), 1 any other failure. */
#include <stdio.h>
#include <string.h>

#include "chokepoint/chokepoint.h"
#include "commands.h"
#include "table.h"

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"validate", ckp_cmd_validate, "check a scenario file and print what it resolves to"},
    {"run", ckp_cmd_run, "simulate paths of a scenario and print the policy table"},
    {"summary", ckp_cmd_summary, "print the policy table of a results file"},
    {"replay", ckp_cmd_replay, "re-simulate one path of a results file with its full trace"},
    {"export", ckp_cmd_export, "write the numbers of a results file as CSV or JSON"},
    {"sensitivity", ckp_cmd_sensitivity, "tornado and regret tables: swing scenario keys"},
    {"report", ckp_cmd_report, "write a self-contained HTML report of a results file"},
    {"merge", ckp_cmd_merge, "join results files of adjacent path ranges into one"},
    {"bench", ckp_cmd_bench, "measure throughput on a scenario on this machine"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: chokepoint <command> [options]\n"
            "       chokepoint --help | --version\n"
            "\n"
            "Monte Carlo disruption engine for critical-mineral supply chains.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun `chokepoint <command> --help` for the options of a command.\n"
                 "Exit status: 0 success, 2 bad input (usage or scenario), 1 other failure.\n");
}

int main(int argc, char **argv)
{
    ckp_cli_blas_env(argv);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("chokepoint %s\n", ckp_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "chokepoint: unknown command '%s'\n\n", ckp_cli_safe(cmd));
    usage(stderr);
    return 2;
}
