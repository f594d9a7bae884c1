#ifndef PGW_CSQLITE_OPTIONS_H
#define PGW_CSQLITE_OPTIONS_H

/// Turns on SQLite's query planner stability guarantee (SQLITE_DBCONFIG_ENABLE_QPSG) for one connection of the
/// sqlite-nio build. `sqlite3_db_config` is variadic, which Swift cannot call; this is its one fixed-argument use.
/// Returns SQLite's result code.
int pgw_sqlite_enable_qpsg(void *db);

#endif
