/* placeholder: replaced by the run module */
typedef int ckp_placeholder_run;
