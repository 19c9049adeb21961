/* placeholder: replaced by the stats module */
typedef int ckp_placeholder_stats;
