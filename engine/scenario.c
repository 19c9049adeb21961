/* placeholder: replaced by the scenario module */
typedef int ckp_placeholder_scenario;
