SELECT
    [u1].[loinc_code] AS [loinc_code],
    [u1].[n] AS [n],
    [u1].[total] AS [total],
    [u1].[mean] AS [mean],
    [u1].[highest] AS [highest],
    [u1].[first_name] AS [first_name],
    [u1].[ceiling] AS [ceiling],
    [u1].[modulo] AS [modulo],
    [u1].[negated] AS [negated],
    [u1].[unit] AS [unit],
    [u1].[last_year] AS [last_year],
    [u1].[first_day] AS [first_day],
    [u1].[last_date] AS [last_date],
    [u1].[week_before] AS [week_before],
    [u1].[day_after] AS [day_after],
    [u1].[whole] AS [whole]
FROM (
    SELECT
        [o].[loinc_code] COLLATE Latin1_General_100_BIN2 AS [loinc_code],
        COUNT(*) AS [n],
        SUM(COALESCE(TRY_CAST([o].[value] AS DECIMAL(38, 18)), TRY_CAST(TRY_CAST([o].[value] AS FLOAT) AS DECIMAL(38, 18)))) AS [total],
        ROUND(AVG(CAST(COALESCE(TRY_CAST([o].[value] AS DECIMAL(38, 18)), TRY_CAST(TRY_CAST([o].[value] AS FLOAT) AS DECIMAL(38, 18))) AS DECIMAL(38, 18))), 2) AS [mean],
        MAX(COALESCE(TRY_CAST([o].[value] AS DECIMAL(38, 18)), TRY_CAST(TRY_CAST([o].[value] AS FLOAT) AS DECIMAL(38, 18)))) AS [highest],
        MIN([o].[name] COLLATE Latin1_General_100_BIN2) AS [first_name],
        CEILING(MAX(COALESCE(TRY_CAST([o].[value] AS DECIMAL(38, 18)), TRY_CAST(TRY_CAST([o].[value] AS FLOAT) AS DECIMAL(38, 18))))) AS [ceiling],
        COUNT(*) % NULLIF(7, 0) AS [modulo],
        -MIN(COALESCE(TRY_CAST([o].[value] AS DECIMAL(38, 18)), TRY_CAST(TRY_CAST([o].[value] AS FLOAT) AS DECIMAL(38, 18)))) AS [negated],
        NULLIF(CASE
            WHEN PATINDEX((N'%[^ ' + NCHAR(9) + NCHAR(10) + NCHAR(13) + N']%'), MAX([o].[unit] COLLATE Latin1_General_100_BIN2) COLLATE Latin1_General_100_BIN2) = 0 THEN N''
            ELSE SUBSTRING(MAX([o].[unit] COLLATE Latin1_General_100_BIN2), PATINDEX((N'%[^ ' + NCHAR(9) + NCHAR(10) + NCHAR(13) + N']%'), MAX([o].[unit] COLLATE Latin1_General_100_BIN2) COLLATE Latin1_General_100_BIN2), DATALENGTH(MAX([o].[unit] COLLATE Latin1_General_100_BIN2)) / 2 - PATINDEX((N'%[^ ' + NCHAR(9) + NCHAR(10) + NCHAR(13) + N']%'), MAX([o].[unit] COLLATE Latin1_General_100_BIN2) COLLATE Latin1_General_100_BIN2) - PATINDEX((N'%[^ ' + NCHAR(9) + NCHAR(10) + NCHAR(13) + N']%'), REVERSE(MAX([o].[unit] COLLATE Latin1_General_100_BIN2)) COLLATE Latin1_General_100_BIN2) + 2)
        END, N'') AS [unit],
        MAX(YEAR(TRY_CONVERT(DATE, LEFT([o].[effective], 10), 23))) AS [last_year],
        MIN(DAY(TRY_CONVERT(DATE, LEFT([o].[effective], 10), 23))) AS [first_day],
        MAX(TRY_CONVERT(DATE, LEFT([o].[effective], 10), 23)) AS [last_date],
        MAX(DATEADD(day, -7, TRY_CONVERT(DATE, LEFT([o].[effective], 10), 23))) AS [week_before],
        MAX(DATEADD(day, 1, TRY_CONVERT(DATE, LEFT([o].[effective], 10), 23))) AS [day_after],
        CAST(MAX(COALESCE(TRY_CAST([o].[value] AS DECIMAL(38, 18)), TRY_CAST(TRY_CAST([o].[value] AS FLOAT) AS DECIMAL(38, 18)))) AS INT) AS [whole]
    FROM [dbo].[observation_quantities] AS [o]
    WHERE [o].[loinc_code] IS NOT NULL AND [o].[loinc_code] NOT IN (N'x', N'y') AND [o].[name] COLLATE Latin1_General_100_BIN2 NOT LIKE N'%zzz%'
    GROUP BY [o].[loinc_code] COLLATE Latin1_General_100_BIN2
    UNION ALL
    SELECT
        N'none' AS [column_1],
        0 AS [column_2],
        NULL AS [column_3],
        NULL AS [column_4],
        NULL AS [column_5],
        NULL AS [column_6],
        NULL AS [column_7],
        NULL AS [column_8],
        NULL AS [column_9],
        NULL AS [column_10],
        NULL AS [column_11],
        NULL AS [column_12],
        NULL AS [column_13],
        NULL AS [column_14],
        NULL AS [column_15],
        NULL AS [column_16]
    FROM [dbo].[patient_demographics] AS [p]
    WHERE [p].[id] IS NULL
) AS [u1]
ORDER BY [u1].[loinc_code] COLLATE Latin1_General_100_BIN2;
