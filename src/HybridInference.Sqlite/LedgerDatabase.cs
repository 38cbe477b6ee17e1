using System.Buffers.Binary;
using Microsoft.Data.Sqlite;

namespace HybridInference.Sqlite;

/// <summary>
/// Opens the ledger's database file and says, in words, what is wrong with a path that cannot hold it: the same checks
/// run when the services start (<see cref="CostLedgerDatabaseValidator"/>) and when the ledger opens.
/// </summary>
internal static class LedgerDatabase
{
    /// <summary>How long a write waits for another connection's lock before it fails (and is tried again later).</summary>
    public const int DefaultBusyTimeoutSeconds = 5;

    private const int HeaderLength = 100;

    private static ReadOnlySpan<byte> Magic => "SQLite format 3\0"u8;

    /// <summary>
    /// The connection string of the ledger's file. Not pooled: every write opens the path afresh, so a file deleted or
    /// replaced while the ledger runs is noticed, not written through a handle to the old one.
    /// </summary>
    public static string ConnectionString(string fullPath, int busyTimeoutSeconds) => new SqliteConnectionStringBuilder
    {
        DataSource = fullPath,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = false,
        DefaultTimeout = busyTimeoutSeconds,
    }.ToString();

    /// <summary>
    /// Makes <paramref name="fullPath"/> a ledger database that takes writes: creates its folder and the file when
    /// missing, checks the file is a whole SQLite database, creates or updates the tables and writes a probe row that is
    /// rolled back.
    /// </summary>
    /// <returns>The database's instance id.</returns>
    /// <exception cref="InvalidOperationException">The path cannot hold the ledger; the message names the path and why.</exception>
    public static string Prepare(string fullPath, int busyTimeoutSeconds)
    {
        if (Directory.Exists(fullPath))
        {
            throw Problem(fullPath, "is a directory, not a database file", null);
        }

        var folder = Path.GetDirectoryName(fullPath)!;
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Problem(fullPath, $"cannot be created: its folder '{folder}' cannot be created ({ex.Message})", ex);
        }

        if (CheckHeader(fullPath) is { } headerProblem)
        {
            throw Problem(fullPath, headerProblem, null);
        }

        try
        {
            using var connection = new SqliteConnection(ConnectionString(fullPath, busyTimeoutSeconds));
            connection.Open();
            return LedgerSchema.Apply(connection, fullPath);
        }
        catch (SqliteException ex)
        {
            throw Problem(fullPath, Describe(ex), ex);
        }
    }

    /// <summary>Says what a SQLite error means for the file; the error's code and message follow in parentheses.</summary>
    public static string Describe(SqliteException exception)
    {
        var what = (exception.SqliteErrorCode & 0xFF) switch
        {
            26 => "is not a SQLite database",
            11 => "is corrupt",
            8 or 3 => "is read-only (the file, its folder, or the file system)",
            14 => "cannot be opened or created",
            5 or 6 => "is locked by another connection",
            13 => "cannot be written: the disk is full",
            10 => "cannot be read or written (an I/O error)",
            _ => "cannot be used",
        };
        return $"{what} (SQLite error {exception.SqliteErrorCode}: {exception.Message})";
    }

    /// <summary>
    /// Tells whether a SQLite error is about the database as a whole (locked, full, read-only, corrupt, gone) rather than
    /// about the one record being written: such an error fails the whole write, which is tried again later.
    /// </summary>
    public static bool IsDatabaseError(Exception exception) => exception is SqliteException sqlite && (sqlite.SqliteErrorCode & 0xFF) switch
    {
        3 or 4 or 5 or 6 or 7 or 8 or 9 or 10 or 11 or 13 or 14 or 15 or 17 or 26 => true, // PERM ABORT BUSY LOCKED NOMEM READONLY INTERRUPT IOERR CORRUPT FULL CANTOPEN PROTOCOL SCHEMA NOTADB
        _ => false,
    };

    /// <summary>
    /// Reads the file's header: a file that is not empty must start with SQLite's magic string and be at least as long as
    /// its header says (a truncated copy is not), which SQLite itself only notices when it reads a missing page.
    /// </summary>
    private static string? CheckHeader(string fullPath)
    {
        Span<byte> header = stackalloc byte[HeaderLength];
        long length;
        try
        {
            using var file = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            length = file.Length;
            if (length == 0)
            {
                return null; // A new database: SQLite writes its header.
            }

            if (file.ReadAtLeast(header, HeaderLength, throwOnEndOfStream: false) < HeaderLength)
            {
                return $"is not a SQLite database (it is {length} bytes long, shorter than a SQLite header)";
            }
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return $"cannot be read ({ex.Message})";
        }

        if (!header[..Magic.Length].SequenceEqual(Magic))
        {
            return "is not a SQLite database (its first bytes are not a SQLite header)";
        }

        var pageSize = BinaryPrimitives.ReadUInt16BigEndian(header[16..]) switch
        {
            1 => 65_536L,
            var size => (long)size,
        };
        var changeCounter = BinaryPrimitives.ReadUInt32BigEndian(header[24..]);
        var pages = BinaryPrimitives.ReadUInt32BigEndian(header[28..]);
        var validFor = BinaryPrimitives.ReadUInt32BigEndian(header[92..]);

        // The page count is only meaningful when the version-valid-for number matches the change counter.
        return validFor == changeCounter && pages * pageSize > length
            ? $"is truncated: its header says {pages * pageSize} bytes ({pages} pages of {pageSize}), the file has {length}"
            : null;
    }

    private static InvalidOperationException Problem(string fullPath, string what, Exception? inner) =>
        new($"The cost ledger database '{fullPath}' {what}.", inner);
}
