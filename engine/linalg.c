/* placeholder: replaced by the linalg module */
typedef int ckp_placeholder_linalg;
