SELECT TOP (3)
    [u1].[patient_id] AS [patient_id],
    [u1].[n] AS [n]
FROM (
    SELECT
        [x].[patient_id] AS [patient_id],
        [x].[n] AS [n]
    FROM (
        SELECT
            [e].[patient_id] COLLATE Latin1_General_100_BIN2 AS [patient_id],
            COUNT(*) AS [n]
        FROM [dbo].[encounters] AS [e]
        RIGHT JOIN [dbo].[patient_demographics] AS [p]
            ON [p].[id] COLLATE Latin1_General_100_BIN2 = [e].[patient_id] AND DATALENGTH([p].[id]) = DATALENGTH([e].[patient_id])
        FULL JOIN [dbo].[patient_addresses] AS [a]
            ON [a].[patient_id] COLLATE Latin1_General_100_BIN2 = [p].[id] AND DATALENGTH([a].[patient_id]) = DATALENGTH([p].[id])
        CROSS JOIN [dbo].[condition_codings] AS [c]
        GROUP BY [e].[patient_id] COLLATE Latin1_General_100_BIN2
        HAVING COUNT(*) > 1
    ) AS [x]
    UNION
    SELECT
        [o].[patient_id] COLLATE Latin1_General_100_BIN2 AS [patient_id],
        COUNT(*) AS [n]
    FROM [dbo].[observation_quantities] AS [o]
    GROUP BY [o].[patient_id] COLLATE Latin1_General_100_BIN2
) AS [u1]
ORDER BY [u1].[n] DESC, [u1].[patient_id] COLLATE Latin1_General_100_BIN2;
