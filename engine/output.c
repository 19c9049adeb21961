/* placeholder: replaced by the output module */
typedef int ckp_placeholder_output;
