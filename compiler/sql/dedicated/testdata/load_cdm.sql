-- fhirql: load a CDM folder written by `fhirql run --format cdm` into a Synapse dedicated SQL pool.
-- Set @cdm_root to the URL of the folder that holds default.manifest.cdm.json, and @identity
-- to COPY INTO's credential identity if the pool needs one (e.g. Managed Identity; empty: the
-- caller's own Entra ID identity). The script drops and recreates each table: safe to run again.
DECLARE @cdm_root NVARCHAR(4000) = N'https://ACCOUNT.dfs.core.windows.net/CONTAINER/FOLDER';
DECLARE @identity NVARCHAR(200) = N'';
DECLARE @copy NVARCHAR(MAX);
IF @cdm_root LIKE N'https://ACCOUNT.%' THROW 50000, N'Set @cdm_root to the URL of the CDM folder before running this script.', 1;
SET @cdm_root = CASE WHEN RIGHT(@cdm_root, 1) = N'/' THEN LEFT(@cdm_root, LEN(@cdm_root) - 1) ELSE @cdm_root END;

-- View "p": data/Localp/partition-data.csv
IF OBJECT_ID(N'[dbo].[fhirql_cdm_p]', N'U') IS NOT NULL
    DROP TABLE [dbo].[fhirql_cdm_p];

CREATE TABLE [dbo].[fhirql_cdm_p] (
    [id] NVARCHAR(MAX) NULL,
    [active] NVARCHAR(MAX) NULL,
    [birth] NVARCHAR(MAX) NULL,
    [given] NVARCHAR(MAX) NULL,
    [n] NVARCHAR(MAX) NULL
)
WITH (DISTRIBUTION = ROUND_ROBIN, HEAP);

SET @copy = N'COPY INTO [dbo].[fhirql_cdm_p] ([id] 1, [active] 2, [birth] 3, [given] 4, [n] 5)
FROM ''' + REPLACE(@cdm_root, N'''', N'''''') + N'/data/Localp/partition-data.csv''
WITH (
    FILE_TYPE = ''CSV'',
    FIRSTROW = 2,
    FIELDTERMINATOR = '','',
    FIELDQUOTE = ''"'',
    ROWTERMINATOR = ''0x0d0a'',
    ENCODING = ''UTF8''
' + CASE WHEN @identity = N'' THEN N'' ELSE N', CREDENTIAL = (IDENTITY = ''' + REPLACE(@identity, N'''', N'''''') + N''')' END + N')';
EXEC (@copy);
-- HEAP, not a clustered columnstore index: given is NVARCHAR(MAX),
-- which columnstore tables cannot hold (Microsoft Learn, "Indexes on dedicated SQL pool tables").
-- A sized type for each, @tag("tsql/type", "NVARCHAR(n)") in the view, makes it a columnstore table.
IF OBJECT_ID(N'[dbo].[p]', N'U') IS NOT NULL
    DROP TABLE [dbo].[p];

CREATE TABLE [dbo].[p]
WITH (DISTRIBUTION = ROUND_ROBIN, HEAP)
AS
SELECT
    CASE
        WHEN DATALENGTH([s].[id]) / 2 > 64 THEN CAST(CAST(CONCAT(N'fhirql: column "id" of view "p" is sized for 64 characters but the CDM partition holds a value of ', DATALENGTH([s].[id]) / 2, N': give the column a wider tsql/type tag') AS INT) AS NVARCHAR(64))
        ELSE CAST([s].[id] AS NVARCHAR(64))
    END AS [id],
    CASE [s].[active] WHEN N'true' THEN CAST(1 AS BIT) WHEN N'false' THEN CAST(0 AS BIT) END AS [active],
    CASE
        WHEN DATALENGTH([s].[birth]) / 2 > 64 THEN CAST(CAST(CONCAT(N'fhirql: column "birth" of view "p" is sized for 64 characters but the CDM partition holds a value of ', DATALENGTH([s].[birth]) / 2, N': give the column a wider tsql/type tag') AS INT) AS NVARCHAR(64))
        ELSE CAST([s].[birth] AS NVARCHAR(64))
    END AS [birth],
    CAST([s].[given] AS NVARCHAR(MAX)) AS [given],
    TRY_CONVERT(INT, [s].[n]) AS [n]
FROM [dbo].[fhirql_cdm_p] AS [s];

IF OBJECT_ID(N'[dbo].[fhirql_cdm_p]', N'U') IS NOT NULL
    DROP TABLE [dbo].[fhirql_cdm_p];


-- View "it's": data/Localit's/partition-data.csv
IF OBJECT_ID(N'[dbo].[fhirql_cdm_it''s]', N'U') IS NOT NULL
    DROP TABLE [dbo].[fhirql_cdm_it's];

CREATE TABLE [dbo].[fhirql_cdm_it's] (
    [id] NVARCHAR(MAX) NULL,
    [family] NVARCHAR(MAX) NULL
)
WITH (DISTRIBUTION = ROUND_ROBIN, HEAP);

SET @copy = N'COPY INTO [dbo].[fhirql_cdm_it''s] ([id] 1, [family] 2)
FROM ''' + REPLACE(@cdm_root, N'''', N'''''') + N'/data/Localit''''s/partition-data.csv''
WITH (
    FILE_TYPE = ''CSV'',
    FIRSTROW = 2,
    FIELDTERMINATOR = '','',
    FIELDQUOTE = ''"'',
    ROWTERMINATOR = ''0x0d0a'',
    ENCODING = ''UTF8''
' + CASE WHEN @identity = N'' THEN N'' ELSE N', CREDENTIAL = (IDENTITY = ''' + REPLACE(@identity, N'''', N'''''') + N''')' END + N')';
EXEC (@copy);
-- HEAP, not a clustered columnstore index: family is NVARCHAR(MAX),
-- which columnstore tables cannot hold (Microsoft Learn, "Indexes on dedicated SQL pool tables").
-- A sized type for each, @tag("tsql/type", "NVARCHAR(n)") in the view, makes it a columnstore table.
IF OBJECT_ID(N'[dbo].[it''s]', N'U') IS NOT NULL
    DROP TABLE [dbo].[it's];

CREATE TABLE [dbo].[it's]
WITH (DISTRIBUTION = ROUND_ROBIN, HEAP)
AS
SELECT
    CASE
        WHEN DATALENGTH([s].[id]) / 2 > 64 THEN CAST(CAST(CONCAT(N'fhirql: column "id" of view "it''s" is sized for 64 characters but the CDM partition holds a value of ', DATALENGTH([s].[id]) / 2, N': give the column a wider tsql/type tag') AS INT) AS NVARCHAR(64))
        ELSE CAST([s].[id] AS NVARCHAR(64))
    END AS [id],
    CAST([s].[family] AS NVARCHAR(MAX)) AS [family]
FROM [dbo].[fhirql_cdm_it's] AS [s];

IF OBJECT_ID(N'[dbo].[fhirql_cdm_it''s]', N'U') IS NOT NULL
    DROP TABLE [dbo].[fhirql_cdm_it's];


