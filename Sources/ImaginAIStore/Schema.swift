import GRDB

extension AppDatabase {
    /// The schema's history. Append-only: never edit a migration that has shipped; add "v2", "v3"…
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()

        migrator.registerMigration("v1") { db in
            try db.create(table: "scenario") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull()
                t.column("instructions", .text).notNull().defaults(to: "")
                t.column("plotEssentials", .text).notNull().defaults(to: "")
                t.column("authorsNotes", .text).notNull().defaults(to: "")
                t.column("openingScene", .text).notNull().defaults(to: "")
                t.column("playerDescription", .text).notNull().defaults(to: "")
                t.column("tags", .jsonText).notNull().defaults(to: "[]")  // JSON array of strings
                t.column("visibility", .text).notNull().defaults(to: "private")
                    .check(sql: "visibility IN ('private', 'unlisted', 'public')")
                t.column("createdAt", .text).notNull()
                t.column("updatedAt", .text).notNull()
            }
            // The scenario list is ordered by updatedAt desc (ties: rowid desc, i.e. newest insert first).
            try db.create(index: "scenario_on_updatedAt", on: "scenario", columns: ["updatedAt"])

            try db.create(table: "adventure") { t in
                t.primaryKey("id", .text)
                // Null once the scenario is deleted: the adventure is an independent copy.
                t.column("scenarioId", .text).references("scenario", onDelete: .setNull)
                t.column("scenarioName", .text).notNull()
                t.column("name", .text).notNull()
                t.column("instructions", .text).notNull().defaults(to: "")
                t.column("plotEssentials", .text).notNull().defaults(to: "")
                t.column("authorsNotes", .text).notNull().defaults(to: "")
                t.column("openingScene", .text).notNull().defaults(to: "")
                t.column("playerDescription", .text).notNull().defaults(to: "")
                t.column("tags", .jsonText).notNull().defaults(to: "[]")
                t.column("createdAt", .text).notNull()
                t.column("updatedAt", .text).notNull()
                t.column("lastPlayedAt", .text).notNull()
            }
            try db.create(index: "adventure_on_lastPlayedAt", on: "adventure", columns: ["lastPlayedAt"])
            try db.create(index: "adventure_on_scenarioId", on: "adventure", columns: ["scenarioId"])

            try db.create(table: "card") { t in
                t.primaryKey("id", .text)
                t.column("scenarioId", .text).references("scenario", onDelete: .cascade)
                t.column("adventureId", .text).references("adventure", onDelete: .cascade)
                t.column("position", .integer).notNull()
                t.column("type", .text).notNull().defaults(to: "other")
                t.column("name", .text).notNull()
                t.column("description", .text).notNull().defaults(to: "")
                t.column("keys", .jsonText).notNull().defaults(to: "[]")  // JSON array of strings
                // A card belongs to exactly one scenario or one adventure.
                t.check(sql: "(scenarioId IS NULL) <> (adventureId IS NULL)")
            }
            try db.create(index: "card_on_scenarioId_position", on: "card", columns: ["scenarioId", "position"])
            try db.create(index: "card_on_adventureId_position", on: "card", columns: ["adventureId", "position"])

            try db.create(table: "turn") { t in
                t.primaryKey("id", .text)
                t.column("adventureId", .text).notNull().references("adventure", onDelete: .cascade)
                // No CHECK (turnIndex >= 0): deleting a turn shifts later ones through negative values.
                t.column("turnIndex", .integer).notNull()
                t.column("role", .text).notNull().check(sql: "role IN ('player', 'ai')")
                t.column("action", .text).check(sql: "action IN ('do', 'say', 'story')")
                t.column("text", .text).notNull()
                t.column("createdAt", .text).notNull()
                // Also the index for every lookup by adventure, by (adventure, index) and for MAX(index).
                t.uniqueKey(["adventureId", "turnIndex"])
            }

            try db.create(table: "setting") { t in
                t.primaryKey("key", .text)
                t.column("value", .jsonText).notNull()  // the setting's value, JSON encoded
            }

            try db.create(table: "appState") { t in
                t.primaryKey("key", .text)
                t.column("value", .text).notNull()
            }
        }

        migrator.registerMigration("v2-story") { db in
            // What generating an ai turn cost (JSON TurnUsage); null for player and imported turns.
            try db.alter(table: "turn") { t in
                t.add(column: "usage", .jsonText)
                t.add(column: "currentVersion", .integer).notNull().defaults(to: 0)
            }
            // Every text a retried turn has had; the turn row holds the current one too.
            try db.create(table: "turnVersion") { t in
                t.column("turnId", .text).notNull().references("turn", onDelete: .cascade)
                t.column("version", .integer).notNull()
                t.column("text", .text).notNull()
                t.column("usage", .jsonText)
                t.column("createdAt", .text).notNull()
                t.primaryKey(["turnId", "version"])
            }
            // Exchanges taken out by story/undo, newest last, for story/redo.
            try db.create(table: "redoEntry") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("adventureId", .text).notNull().references("adventure", onDelete: .cascade).indexed()
                t.column("turns", .jsonText).notNull()
            }
        }

        migrator.registerMigration("v3-card-rules") { db in
            // SillyTavern-style World Info options. The defaults make every existing card a plain card
            // that fires on its keys exactly as before. Column names avoid SQL's ORDER and GROUP and the
            // card's list `position`.
            try db.alter(table: "card") { t in
                t.add(column: "secondaryKeys", .jsonText).notNull().defaults(to: "[]")
                t.add(column: "selectiveLogic", .text).notNull().defaults(to: "andAny")
                    .check(sql: "selectiveLogic IN ('andAny', 'andAll', 'notAny', 'notAll')")
                t.add(column: "constant", .boolean).notNull().defaults(to: false)
                t.add(column: "enabled", .boolean).notNull().defaults(to: true)
                t.add(column: "insertionOrder", .integer).notNull().defaults(to: 100)
                t.add(column: "probability", .integer).notNull().defaults(to: 100)
                t.add(column: "scanDepth", .integer)
                t.add(column: "excludeRecursion", .boolean).notNull().defaults(to: false)
                t.add(column: "preventRecursion", .boolean).notNull().defaults(to: false)
                t.add(column: "sticky", .integer).notNull().defaults(to: 0)
                t.add(column: "cooldown", .integer).notNull().defaults(to: 0)
                t.add(column: "delay", .integer).notNull().defaults(to: 0)
                t.add(column: "groupName", .text)
                t.add(column: "promptPosition", .text).notNull().defaults(to: "beforeHistory")
                    .check(sql: "promptPosition IN ('beforeHistory', 'afterHistory', 'atDepth')")
                t.add(column: "promptDepth", .integer).notNull().defaults(to: 4)
                t.add(column: "notes", .text).notNull().defaults(to: "")
            }
            // The cards a generated turn's prompt activated (JSON array of card ids), so that sticky and
            // cooldown can count turns from there; undo takes them away with the turn.
            try db.alter(table: "turn") { t in
                t.add(column: "activatedCards", .jsonText)
            }
            // Each retry version keeps its own, so that turn/useVersion brings back the version's.
            try db.alter(table: "turnVersion") { t in
                t.add(column: "activatedCards", .jsonText)
            }
        }

        migrator.registerMigration("v4-recall") { db in
            // Recall's full-text index of every turn's current text, keyed by the turn's rowid. Contentless:
            // the text is read from the turn itself, so the index adds no second copy of every turn. What it
            // indexes is `imaginai_recall_text(text)` (RecallText.indexed: characters of scripts without
            // spaces set apart), with unicode61 folding case and diacritics and keeping combining marks in
            // their tokens (Thai vowels). Triggers keep it exact whatever changes a turn's text or removes
            // the turn (edits, retries and version switches, deletes, undo, cascades from the adventure);
            // a contentless index forgets a row only when told the very text it indexed, which the
            // triggers hand it from `old.text`. The turns already there are indexed in bulk, which leaves
            // the index in many segments; `optimize` merges them into one, which halves the time of a
            // term's look-up and of a match on a large library for the price of writing the index twice.
            try db.execute(sql: """
                CREATE VIRTUAL TABLE turnRecall USING fts5(
                  body, content = '', tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'");
                CREATE VIRTUAL TABLE turnRecallVocabulary USING fts5vocab(turnRecall, 'row');
                CREATE TRIGGER turnRecallOnInsert AFTER INSERT ON turn BEGIN
                  INSERT INTO turnRecall (rowid, body) VALUES (new.rowid, imaginai_recall_text(new.text));
                END;
                CREATE TRIGGER turnRecallOnDelete AFTER DELETE ON turn BEGIN
                  INSERT INTO turnRecall (turnRecall, rowid, body) VALUES ('delete', old.rowid, imaginai_recall_text(old.text));
                END;
                CREATE TRIGGER turnRecallOnUpdate AFTER UPDATE OF text ON turn WHEN old.text IS NOT new.text BEGIN
                  INSERT INTO turnRecall (turnRecall, rowid, body) VALUES ('delete', old.rowid, imaginai_recall_text(old.text));
                  INSERT INTO turnRecall (rowid, body) VALUES (new.rowid, imaginai_recall_text(new.text));
                END;
                INSERT INTO turnRecall (rowid, body) SELECT rowid, imaginai_recall_text(text) FROM turn;
                INSERT INTO turnRecall (turnRecall) VALUES ('optimize');
                """)
        }

        migrator.registerMigration("v5-summary") { db in
            // The adventure's summary, sent before the history, and every text it has had: a rewrite the
            // user does not like is taken back by setting an earlier version's text again, so no version
            // is ever changed or removed while the adventure lives. `source` says who wrote it ("user"
            // through adventure/update, "auto" by the storyteller's rewrite); `turnCount` is how many
            // turns the adventure had then, which is where the next automatic rewrite counts from.
            try db.alter(table: "adventure") { t in
                t.add(column: "summary", .text).notNull().defaults(to: "")
            }
            try db.create(table: "summaryVersion") { t in
                t.column("adventureId", .text).notNull().references("adventure", onDelete: .cascade)
                t.column("version", .integer).notNull()
                t.column("text", .text).notNull()
                t.column("source", .text).notNull().check(sql: "source IN ('user', 'auto')")
                t.column("turnCount", .integer).notNull()
                t.column("createdAt", .text).notNull()
                t.primaryKey(["adventureId", "version"])
            }
        }

        migrator.registerMigration("v6-library-changes") { db in
            // What each process committed, newest last, so that every other process on the file can tell
            // its client (library/changed). The rows are written by TEMP triggers each ImaginAI process
            // puts on its own writing connection (LibraryChanges.swift), not by triggers in the file: a
            // trigger stored here would run in every sqlite3 shell too, and could not know which process
            // wrote. AUTOINCREMENT: a seq is never handed out twice, even after the oldest rows are pruned,
            // so "seq > the last one read" never skips or repeats a change. `changedId`, not `rowId`: SQLite
            // would take a column of that name for the table's rowid.
            try db.create(table: "libraryChange") { t in
                t.autoIncrementedPrimaryKey("seq")
                t.column("kind", .text).notNull()
                t.column("changedId", .text).notNull()
                t.column("change", .text).notNull()
                t.column("scenarioId", .text)
                t.column("adventureId", .text)
                t.column("writer", .text).notNull()
                t.column("at", .text).notNull()
            }
        }

        return migrator
    }
}
