#include "CSQLiteOptions.h"

// Defined by sqlite-nio's VaporCSQLite (SQLite with its symbols prefixed), linked into the same binary.
extern int sqlite_nio_sqlite3_db_config(void *db, int op, ...);

#define PGW_SQLITE_DBCONFIG_ENABLE_QPSG 1007

int pgw_sqlite_enable_qpsg(void *db) {
    int enabled = 0;
    return sqlite_nio_sqlite3_db_config(db, PGW_SQLITE_DBCONFIG_ENABLE_QPSG, 1, &enabled);
}
