/* placeholder: replaced by the prep module */
typedef int ckp_placeholder_prep;
