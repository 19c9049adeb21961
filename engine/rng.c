/* placeholder: replaced by the rng module */
typedef int ckp_placeholder_rng;
