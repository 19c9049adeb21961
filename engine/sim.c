/* placeholder: replaced by the sim module */
typedef int ckp_placeholder_sim;
