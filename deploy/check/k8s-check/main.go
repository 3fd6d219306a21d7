// k8s-check decodes every object of a multi-document manifest (`helm template` output) strictly into the
// Kubernetes API types of client-go's scheme: an unknown field, a duplicate field or a value of the wrong type
// is an error, as it is for `kubectl apply --validate=strict`. It also checks what the API server would refuse
// before storing anything: object names and labels. A custom resource (a KEDA ScaledObject) is checked against
// its CustomResourceDefinition the way the API server does: unknown fields (which the server would silently
// prune) are errors, then the OpenAPI schema validates what is left.
//
//	k8s-check [--crd FILE]... MANIFEST        (MANIFEST "-" reads stdin)
//
// Prints one line per object ("ok <apiVersion> <kind> <name>"), or the errors and exits 1.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	jsonserializer "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	sigsyaml "sigs.k8s.io/yaml"
)

type crdFlags []string

func (c *crdFlags) String() string     { return strings.Join(*c, ",") }
func (c *crdFlags) Set(v string) error { *c = append(*c, v); return nil }

// customType is one served version of a CustomResourceDefinition.
type customType struct {
	structural *structuralschema.Structural
	validator  apiservervalidation.SchemaValidator
}

func main() {
	var crdFiles crdFlags
	flag.Var(&crdFiles, "crd", "CustomResourceDefinition file whose custom resources may appear (repeatable)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: k8s-check [--crd FILE]... MANIFEST")
		os.Exit(2)
	}
	strict := jsonserializer.NewSerializerWithOptions(jsonserializer.DefaultMetaFactory, scheme.Scheme, scheme.Scheme,
		jsonserializer.SerializerOptions{Yaml: true, Strict: true})

	customs := map[schema.GroupVersionKind]customType{}
	for _, f := range crdFiles {
		if err := loadCRD(strict, f, customs); err != nil {
			fatal(fmt.Errorf("%s: %w", f, err))
		}
	}

	var in io.Reader = os.Stdin
	if flag.Arg(0) != "-" {
		file, err := os.Open(flag.Arg(0))
		if err != nil {
			fatal(err)
		}
		defer file.Close()
		in = file
	}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(in))
	failed, objects := 0, 0
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fatal(err)
		}
		if isEmpty(doc) {
			continue
		}
		objects++
		line, err := check(strict, customs, doc)
		if err != nil {
			failed++
			fmt.Printf("FAIL %s\n", strings.ReplaceAll(err.Error(), "\n", "\n     "))
			continue
		}
		fmt.Printf("ok %s\n", line)
	}
	if objects == 0 {
		fatal(errors.New("the manifest holds no object"))
	}
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "k8s-check: %d of %d objects failed\n", failed, objects)
		os.Exit(1)
	}
}

func check(strict runtime.Decoder, customs map[schema.GroupVersionKind]customType, doc []byte) (string, error) {
	var meta struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   metav1.ObjectMeta `json:"metadata"`
	}
	if err := sigsyaml.Unmarshal(doc, &meta); err != nil {
		return "", fmt.Errorf("not an object: %w", err)
	}
	gvk := schema.FromAPIVersionAndKind(meta.APIVersion, meta.Kind)
	name := fmt.Sprintf("%s %s %s", meta.APIVersion, meta.Kind, meta.Metadata.Name)
	errs := checkMeta(meta.Metadata)

	if custom, ok := customs[gvk]; ok {
		errs = append(errs, checkCustom(custom, doc)...)
	} else if scheme.Scheme.Recognizes(gvk) {
		if _, _, err := strict.Decode(doc, nil, nil); err != nil {
			errs = append(errs, err.Error())
		}
	} else {
		errs = append(errs, fmt.Sprintf("no Kubernetes API type and no --crd for %s", gvk))
	}
	if len(errs) > 0 {
		return "", fmt.Errorf("%s:\n%s", name, strings.Join(errs, "\n"))
	}
	return name, nil
}

func checkMeta(m metav1.ObjectMeta) []string {
	var errs []string
	if m.Name == "" {
		errs = append(errs, "metadata.name is empty")
	}
	for _, msg := range validation.IsDNS1123Subdomain(m.Name) {
		errs = append(errs, "metadata.name: "+msg)
	}
	for _, e := range metav1validation.ValidateLabels(m.Labels, field.NewPath("metadata", "labels")) {
		errs = append(errs, e.Error())
	}
	return errs
}

func checkCustom(custom customType, doc []byte) []string {
	var obj map[string]any
	if err := sigsyaml.Unmarshal(doc, &obj); err != nil {
		return []string{err.Error()}
	}
	var errs []string
	unknown := pruning.PruneWithOptions(obj, custom.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	for _, path := range unknown {
		errs = append(errs, fmt.Sprintf("unknown field %q (the API server would drop it)", path))
	}
	for _, e := range apiservervalidation.ValidateCustomResource(nil, obj, custom.validator) {
		errs = append(errs, e.Error())
	}
	return errs
}

func loadCRD(strict runtime.Decoder, file string, customs map[schema.GroupVersionKind]customType) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	obj, _, err := strict.Decode(data, nil, nil)
	if err != nil {
		// apiextensions.k8s.io is not in client-go's scheme: decode that one type strictly by hand.
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := sigsyaml.UnmarshalStrict(data, crd); err != nil {
			return err
		}
		obj = crd
	}
	crd, ok := obj.(*apiextensionsv1.CustomResourceDefinition)
	if !ok {
		return fmt.Errorf("not a CustomResourceDefinition")
	}
	for _, v := range crd.Spec.Versions {
		if !v.Served || v.Schema == nil {
			continue
		}
		internal := &apiextensions.CustomResourceValidation{}
		if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(v.Schema, internal, nil); err != nil {
			return err
		}
		structural, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
		if err != nil {
			return err
		}
		validator, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
		if err != nil {
			return err
		}
		gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}
		customs[gvk] = customType{structural: structural, validator: validator}
	}
	return nil
}

func isEmpty(doc []byte) bool {
	for _, line := range bytes.Split(doc, []byte("\n")) {
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' && !bytes.Equal(t, []byte("---")) {
			return false
		}
	}
	return true
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "k8s-check: %v\n", err)
	os.Exit(1)
}
