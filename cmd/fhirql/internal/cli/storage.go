package cli

import (
	"flag"
	"fmt"
	"strings"

	"github.com/fhirql/fhirql/storage"
	"github.com/fhirql/fhirql/storage/azure"
)

// azureCredentialFlag registers --azure-credential, which run and export
// share: how fhirql signs in to Microsoft Entra ID for storage accounts
// (and, for export --auth entra, the FHIR server).
func azureCredentialFlag(fs *flag.FlagSet) *string {
	return fs.String("azure-credential", azure.CredDefault,
		"Microsoft Entra ID credential for Azure locations without a SAS token or connection string: "+strings.Join(azure.CredentialKinds, ", "))
}

// storageOpener opens Azure locations (https://ACCOUNT.blob.core.windows.net/…,
// abfss://…) with the chosen credential and AZURE_STORAGE_CONNECTION_STRING.
func storageOpener(credential string) (storage.Opener, error) {
	ok := false
	for _, k := range azure.CredentialKinds {
		ok = ok || k == credential
	}
	if !ok {
		return nil, fmt.Errorf("--azure-credential must be one of %s, not %q", strings.Join(azure.CredentialKinds, ", "), credential)
	}
	return azure.Opener(azure.FromEnv(credential)), nil
}
